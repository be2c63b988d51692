"""Loader emulation inside the image: interpreter, ``DT_NEEDED`` closure, search paths.

``search`` builds the directories glibc's ``ld.so`` and musl's loader would search (from
``ld.so.conf``, ``ld-musl-ARCH.path``, the architecture's defaults, and each object's
RPATH/RUNPATH with ``$ORIGIN``/``$LIB``/``$PLATFORM`` expanded); ``loader`` walks a binary's
dependency closure the way the loader does, breadth first, reusing what is already loaded;
``collect`` turns that into the ``linkage`` facts, whose value types live in
:mod:`analyzer.facts.linkage`.
"""
