"""Pure domain: the contract's feeds, rules and value types. Imports no framework and does no I/O."""
