"""Version bundles: one file (or stream) that carries an image version to
another gallery, with no network path needed (docs/bundle-format.md).

    format  the framing: preamble, checked sections, chunk records, end
    writer  a version's disks, zstd-compressed, zero and base chunks left out
    reader  the disks back as image files, every chunk checked
"""
