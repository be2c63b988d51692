"""Kernel knowledge: image formats and payload decompression, kconfig, modules, command line."""
