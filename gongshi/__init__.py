"""公示 Gongshi: the public portal and open-data API for 双随机、一公开 inspections.

The layers import only downward: `store` ← `ingest`, `search` ← `api` ← `portal`. This root
package is the composition root above them all: it reads the settings (`config`), builds the web
application (`app`), runs ingest-then-index (`service`) and the command line (`cli`).
"""
