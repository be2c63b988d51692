"""Findings placed on the build file line that caused them: a Dockerfile, a Packer template.

:func:`~analyzer.attribution.attribute.attribute` gives each evaluation whose layer (or file)
a build instruction made a :class:`~analyzer.model.BuildStep`; report writers make that line
the primary location and keep the in-image path as a related one.
"""
