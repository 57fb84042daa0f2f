"""`python -m telar` is the `telar` command."""

from telar.command import main

raise SystemExit(main())
