"""Developer tools that drive the app from outside: the screenshot tour."""
