"""The model of the input: layers and fields with their aliases, type coercion,
validation into :class:`~landuse.model.schema.Problem` s, the
:class:`~landuse.model.workspace.Workspace`, CRS and units.
"""
