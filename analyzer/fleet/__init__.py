"""Fleet scans: many targets in one run, locally or on a Dask cluster, with one merged report.

:func:`analyzer.fleet.targets.expand` turns command-line targets and target files (text
lists, Packer manifests, OCI layouts) into a target list; :func:`analyzer.fleet.execute.
scan_fleet` scans each target once (in this process for one, on Dask for several) and returns
a :class:`~analyzer.fleet.model.FleetResult`; the writers in
:data:`analyzer.fleet.report.FLEET_FORMATS` render it. Nothing is imported here, so that a
single-target scan does not pay for the fleet modules.
"""
