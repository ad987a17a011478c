"""Every byte in or out: vector files, ledgers (CSV/XLSX), zips, rasters and PostGIS.

:mod:`~landuse.io.files` reads and writes files (pyogrio with Arrow, fiona to salvage
damaged ones, atomic writes); :mod:`~landuse.io.postgis` reads and writes a PostGIS schema.
"""
