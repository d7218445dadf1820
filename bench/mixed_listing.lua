-- wrk script: catalogue listings the way a crowd of shoppers asks for them, not one
-- URL over and over: each request picks a category (or none), a sort, a page from the
-- first 40 and sometimes "in stock only", so most requests miss any cache.
-- Usage: wrk -s bench/mixed_listing.lua http://host:port/api/v1/products
--        (or …/search for the SSR page)
local categories = { "", "tea", "spices", "vegetables", "fruits", "pantry" }
local sorts = { "relevance", "price", "-price", "newest" }

request = function()
  local q = { "page=" .. math.random(1, 40), "sort=" .. sorts[math.random(#sorts)] }
  local c = categories[math.random(#categories)]
  if c ~= "" then table.insert(q, "category=" .. c) end
  if math.random() < 0.3 then table.insert(q, "inStock=true") end
  return wrk.format("GET", wrk.path .. "?" .. table.concat(q, "&"))
end
