"""Remote: S3 and the workflows that cross it.

The boto3 client and its errors (`s3`), verified transfers and the rate floor (`s3_transfer`),
resumable multipart uploads (`multipart`), where datasets live
(`location`), the upload and download workflows, what ARMORY configs need and fetching it
(`scenario_download`), and what a published checksum file's provenance means. May import `artifact` and `armory`; never `build`.
"""
