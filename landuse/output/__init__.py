"""What an analyst opens: tables, ledgers (XLSX), maps (Folium, with ``_assets/map.js``),
figures (PNG), the meeting report (HTML) and the results GeoPackage.
"""
