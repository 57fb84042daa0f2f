"""`python -m telar` is the `telar` command."""

from telar.app.command import main

raise SystemExit(main())
