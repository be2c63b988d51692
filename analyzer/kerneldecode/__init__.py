"""Kernel decoders: image formats (bzImage, UKI), payload decompression, embedded configs."""
