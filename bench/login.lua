-- wrk script: password sign-ins of a demo account over the API.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"customer@greenharvest.demo","password":"mandi-demo"}'
