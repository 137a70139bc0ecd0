"""Files: folder walk and change detection, EXIF metadata, image decoding."""
