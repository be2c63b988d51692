"""Shared set-up: the built ELF corpus fixture."""

from elfcorpus import corpus

__all__ = ["corpus"]
