"""Identity resolution: which source records describe the same person.

`IdentityResolver` trains a Splink 5 model made for immigration identities (names in any order and
script, birth-date errors, document misreads, A-numbers), scores blocked pairs of identity
signatures with that model's parameters in one DuckDB query (`weights`), applies the hard rules
(different A-numbers, twins, shared admission numbers, passport/birth-date conflicts) and clusters
linked records without chaining different people together. Splink explains single pairs.
"""

from ilos.adapters.identity.resolver import (
    LOWER,
    UPPER,
    IdentityIndex,
    IdentityResolver,
    input_table,
    linkable,
    unusable,
)

__all__ = ["LOWER", "UPPER", "IdentityIndex", "IdentityResolver", "input_table", "linkable", "unusable"]
