"""The vanguard campaign and the quarterly excellent-member selection: rules, ledgers, launch, boards."""
