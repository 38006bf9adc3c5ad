#!/usr/bin/env python3
"""Embed a text file as a NUL-terminated C array: embed.py SYMBOL INPUT OUTPUT.

An array initializer, not a string literal: C11 compilers need only accept
4095-byte literals, and warning_level=3 enforces that."""
import sys

sym, src, dst = sys.argv[1:4]
data = open(src, 'rb').read() + b'\0'
rows = [', '.join('%d' % b for b in data[i:i + 16]) for i in range(0, len(data), 16)]
with open(dst, 'w') as f:
    f.write('/* generated from %s by tools/embed.py; do not edit */\n' % src.split('/')[-1])
    f.write('const char %s[] = {\n\t%s\n};\n' % (sym, ',\n\t'.join(rows)))
