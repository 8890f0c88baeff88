from mailsoftly.cli import main

raise SystemExit(main())
