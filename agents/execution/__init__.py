"""Running an approved plan into the job's branch and reviewing what it changed."""
