"""The JSON API as a client sees it: sessions, the declared contract, fuzzing, the everyday UI's calls."""
