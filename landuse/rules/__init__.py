"""Rule sets: the typed, frozen rule-set model (:mod:`~landuse.rules.model`) and the
bundled TOML files (``rulesets/``). Every policy number lives in a TOML file.
"""
