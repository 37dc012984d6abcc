"""What satellites decide and how they run: precoders, the satellite agent, runtimes."""
