"""Kernel knowledge as data: kconfig parsing, symbols, cgroup needs, command line, history.

Nothing here reads a tree: collectors find the files (:mod:`analyzer.collectors.kernel_boot`,
:mod:`analyzer.collectors.kernel_modules`) and decoders read images
(:mod:`analyzer.kerneldecode`).
"""
