"""Test helpers, importable from every test folder (tests/ is on sys.path
through its conftest), so `pytest tests/stores` and `pytest tests/gallery`
each run alone, in any order.

    images         real sample disk images made with qemu-img, VHD editing
    files          noise files, listings, chunk digests for engine tests
    gallery        running the CLI and the Client against a home, catalog dumps
    store_servers  rclone serve s3 and Azurite on loopback, a faulty proxy
"""
