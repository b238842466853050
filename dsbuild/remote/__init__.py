"""Remote: S3 and the workflows that cross it.

The boto3 client and its errors (`s3`), verified transfers (`s3_transfer`), where datasets live
(`location`), the upload and download workflows, what ARMORY configs need and fetching it
(`scenario_download`), and what a published checksum file's provenance means. May import `artifact` and `armory`; never `build`.
"""
