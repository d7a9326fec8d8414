"""OCDS 1.1 for tenderhub: mapping, validation, merging, packages and import.

    from tenderhub.exchange.ocds import releases_for, validate_release, compile_release
"""

from tenderhub.exchange.ocds.mapping import MappingOptions, ocid_for, releases_for
from tenderhub.exchange.ocds.merge import compile_release, versioned_release
from tenderhub.exchange.ocds.validate import Problem, validate_package, validate_release

__all__ = [
    "MappingOptions",
    "Problem",
    "compile_release",
    "ocid_for",
    "releases_for",
    "validate_package",
    "validate_release",
    "versioned_release",
]
