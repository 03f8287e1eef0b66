"""Server-side images with Pillow: wheel, scratch card, quiz card, member card, QR.

Renderers take every text from the caller (the content file) and return encoded bytes;
`media` pairs them with `cache.RenderCache` so each image is drawn once.
"""
