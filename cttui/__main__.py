from __future__ import annotations

from cttui.cli.main import main

raise SystemExit(main())
