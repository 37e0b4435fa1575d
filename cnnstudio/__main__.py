import sys

from cnnstudio.launcher import main

sys.exit(main())
