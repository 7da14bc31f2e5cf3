from __future__ import annotations

from cttui.cli import main

raise SystemExit(main())
