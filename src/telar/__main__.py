"""`python -m telar` is the `telar` command."""

from telar.cli import main

raise SystemExit(main())
