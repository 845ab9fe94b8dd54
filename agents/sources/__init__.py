"""Where data comes from: resolving paths, globs, URLs and attachments to local files, safe
downloads, archives, and the per-job snapshot.
"""
