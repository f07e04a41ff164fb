-- English strings of the disk space plugin.
return {
  disk_space = {
    title = "Disk space",
  },
}
