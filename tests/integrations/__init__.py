"""Tests of the ready-made integrations: the GitHub Action and the Packer example."""
