"""Decoders of compressed formats shared by several stages (kernel images, file systems)."""
