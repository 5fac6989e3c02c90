"""People's own data: downloading all of it, deleting one's account, anonymising the idle."""
