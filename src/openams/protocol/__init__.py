"""The AMS wire contract: signing, keys, money, result codes and wire models. No I/O."""
