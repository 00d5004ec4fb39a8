-- imgserv: an image service as an object class.
--
-- An object holds one image and its thumbnails, back to back in its data; the omap indexes
-- them by spec ("original", "256x256", "128x128#", ...) as "offset:length". Installed on the
-- workers as the class `imgserv` (sepia call OID imgserv.thumb --input 256x256); the same
-- file also works sent with `sepia exec OID imgserv.lua thumb --input 256x256`.
--
--   put(image bytes)  store the image as the original (drops thumbnails of an earlier image)
--   get(spec)         the bytes stored under spec ("original" or a thumbnail spec)
--   thumb(spec)       make the thumbnail for spec, store and index it, return its bytes;
--                     rc 1 (and the stored bytes) when it already existed

local function blist(s)
  local bl = bufferlist.new()
  bl:append(s)
  return bl
end

-- Where spec's bytes are, or nil.
local function locate(spec)
  local ok, loc = pcall(cls.map_get_val, spec)
  if not ok then return nil end
  local off, len = loc:str():match("^(%d+):(%d+)$")
  return tonumber(off), tonumber(len)
end

function put(input, output)
  if #input == 0 then
    cls.log(0, "imgserv.put: empty image")
    return -cls.EINVAL
  end
  if magick.ping then
    -- Refuse what is not an image now, not at thumbnail time.
    magick.ping(input:str())
  end
  cls.write_full(input)
  cls.map_clear()
  cls.map_set_val("original", blist("0:" .. #input))
  return 0
end

function get(input, output)
  local spec = input:str()
  local off, len = locate(spec)
  if not off then
    cls.log(0, "imgserv.get: no image stored under '" .. spec .. "'")
    return -cls.ENOENT
  end
  output:append(cls.read(off, len):str())
  return 0
end

function thumb(input, output)
  local spec = input:str()
  if spec == "original" or spec == "" then
    cls.log(0, "imgserv.thumb: give a size spec such as 256x256")
    return -cls.EINVAL
  end
  local off, len = locate(spec)
  if off then
    output:append(cls.read(off, len):str())
    return 1
  end
  local ooff, olen = locate("original")
  if not ooff then
    cls.log(0, "imgserv.thumb: the object has no original image (upload it with imgserv.put)")
    return -cls.ENOENT
  end
  local original = cls.read(ooff, olen)
  local small = magick.thumb(original:str(), spec)
  local size = cls.stat()
  cls.write(size, #small, blist(small))
  cls.map_set_val(spec, blist(size .. ":" .. #small))
  output:append(small)
  return 0
end

cls.register(put)
cls.register(get)
cls.register(thumb)
