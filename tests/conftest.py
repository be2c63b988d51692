"""Shared test set-up: ``tests/`` is on ``sys.path`` so tests import ``builders`` directly."""
