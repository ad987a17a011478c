"""Measures as of a date: supply (:mod:`~landuse.analysis.supply`), idle land
(:mod:`~landuse.analysis.idle`), approvals to lapse, withdraw or reduce
(:mod:`~landuse.analysis.approvals`), land-cover shares (:mod:`~landuse.analysis.landcover`)
and the Dask engine (:mod:`~landuse.analysis.distributed`).
"""
