"""Package databases read as data: dpkg, rpm (sqlite and Berkeley DB; ndb named), apk.

Each format has its own small parser returning :class:`~analyzer.packages.model.PackageDb`;
:mod:`analyzer.packages.formats` says which in-image paths hold which format.
"""
