"""Shared set-up: the ELF corpus (a program and the private libraries it loads)."""

from elfcorpus import corpus

__all__ = ["corpus"]
