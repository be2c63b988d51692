"""The stream contract: what a source yields and what the single pass makes of it.

It belongs to no single stage. Sources produce :mod:`~analyzer.stream.entry` values under
in-image :mod:`~analyzer.stream.paths`; the pass offers each file's blocks to the per-file
analyzers through the :mod:`~analyzer.stream.sink` protocol, keeps the text files collectors
declared (:mod:`~analyzer.stream.capture`) and stores the records analyzers return
(:mod:`~analyzer.stream.elfrecord`) on tree nodes, where collectors read them.
"""
