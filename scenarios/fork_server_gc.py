"""Turns the cyclic garbage collector off in the fork server of local sweep workers, for its imports.

The fork server imports every module the points need (pandas, SeQUeNCe with QuTiP,
SciPy and matplotlib behind it) before it forks the first worker, so both a
one-worker and a many-worker sweep wait for those imports. Imports make many
objects and free few; collections during them took about a sixth of the imports'
CPU time on this project's machine (``python -c "import gc; gc.disable(); import
..."`` against the same without, alternated). :class:`scenarios.executors.LocalExecutor`
names this module first in the fork server's preload list; every worker turns the
collector back on as it starts (``scenarios.executors._start_worker``). Import it
nowhere else.
"""

import gc

gc.disable()
