from __future__ import annotations

from mbr_search.cli.main import main

raise SystemExit(main())
