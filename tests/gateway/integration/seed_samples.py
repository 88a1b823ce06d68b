"""The sample bodies of the seed documents (spec §13), transcribed as data.

Every request body here must be accepted by the gateway as written, apart from the values
that must be unique or current in each run (paymentRequestId, paymentExpiryTime); every
response and notification shows the shape the gateway's own answers must have. Values are
copied verbatim from ``/work/shared/seeds/*.txt`` (hence the long lines). The seeds hold no
JSON body for inquiryPayment or cancel requests, only Java snippets, so none appears here.
"""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

Sample = dict[str, Any]

# ----------------------------------------------------------------- requests

# apm-payments.txt, Step 2 > Create a payment request > "Web sample code" (request).
APM_HK_WEB_PAY: Sample = {
    "paymentNotifyUrl": "http://www.yourNotifyUrl.com",
    "paymentRequestId": "paymentRequestId01",
    "env": {"terminalType": "WEB", "clientIp": "114.121.121.01"},
    "paymentAmount": {"currency": "HKD", "value": "100"},
    "productCode": "CASHIER_PAYMENT",
    "paymentRedirectUrl": "http://www.yourRedirectUrl.com",
    "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
    "order": {
        "orderAmount": {"currency": "HKD", "value": "100"},
        "referenceOrderId": "referenceOrderId01",
        "orderDescription": "antom test order",
    },
}


# apm-payments.txt, Step 2 > Create a payment request > "WAP sample code" (request).
APM_HK_WAP_PAY: Sample = {
    "paymentNotifyUrl": "http://www.yourNotifyUrl.com",
    "paymentRequestId": "paymentRequestId01",
    "env": {"terminalType": "WAP", "clientIp": "114.121.121.01", "osType": "ANDROID"},
    "paymentAmount": {"currency": "HKD", "value": "100"},
    "productCode": "CASHIER_PAYMENT",
    "paymentRedirectUrl": "http://www.yourRedirectUrl.com",
    "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
    "order": {
        "orderAmount": {"currency": "HKD", "value": "100"},
        "referenceOrderId": "referenceOrderId01",
        "orderDescription": "antom test order",
    },
}


# apm-payments.txt, Step 2 > Create a payment request > "App sample code" (request).
APM_HK_APP_PAY: Sample = {
    "paymentNotifyUrl": "http://www.yourNotifyUrl.com",
    "paymentRequestId": "paymentRequestId01",
    "env": {"terminalType": "APP", "clientIp": "114.121.121.01", "osType": "ANDROID"},
    "paymentAmount": {"currency": "HKD", "value": "100"},
    "productCode": "CASHIER_PAYMENT",
    "paymentRedirectUrl": "http://www.yourRedirectUrl.com",
    "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
    "order": {
        "orderAmount": {"currency": "HKD", "value": "100"},
        "referenceOrderId": "referenceOrderId01",
        "orderDescription": "antom test order",
    },
}


# apm-payments.txt, Best practice > Customize the payment timeout > "Web sample code".
APM_CN_WEB_PAY: Sample = {
    "env": {"terminalType": "WEB"},
    "order": {
        "orderAmount": {"currency": "CNY", "value": "1314"},
        "orderDescription": "Cappuccino #grande (Mika's coffee shop)",
        "referenceOrderId": "ORDER_0517884936248XXXX",
    },
    "paymentAmount": {"currency": "CNY", "value": "1314"},
    "paymentMethod": {"paymentMethodType": "ALIPAY_CN"},
    "paymentExpiryTime": "2024-01-20T08:51:06+08:00",
    "paymentNotifyUrl": "https://www.gaga.com/notify",
    "paymentRedirectUrl": "imeituan://",
    "paymentRequestId": "iJ9lsVgTx8pX7qJpvW6rfqEE2Kdv9M3lgL8e1999ydfz52uMSqwvT3qXYw8IFBYt",
    "productCode": "CASHIER_PAYMENT",
    "settlementStrategy": {"settlementCurrency": "USD"},
}


# apm-payments.txt, Best practice > Customize the payment timeout > "WAP sample code".
APM_CN_WAP_PAY: Sample = {
    "env": {"osType": "ANDROID", "terminalType": "WAP"},
    "order": {
        "orderAmount": {"currency": "CNY", "value": "1314"},
        "orderDescription": "Cappuccino #grande (Mika's coffee shop)",
        "referenceOrderId": "ORDER_0517884936248XXXX",
    },
    "paymentAmount": {"currency": "CNY", "value": "1314"},
    "paymentMethod": {"paymentMethodType": "ALIPAY_CN"},
    "paymentExpiryTime": "2024-01-20T08:51:06+08:00",
    "paymentNotifyUrl": "https://www.gaga.com/notify",
    "paymentRedirectUrl": "imeituan://",
    "paymentRequestId": "iJ9lsVgTx8pX7qJpvW6rfqEE2Kdv9M3lgL8e1999ydfz52uMSqwvT3qXYw8IFBYt",
    "productCode": "CASHIER_PAYMENT",
    "settlementStrategy": {"settlementCurrency": "USD"},
}


# apm-payments.txt, Best practice > Customize the payment timeout > "App sample code".
APM_CN_APP_PAY: Sample = {
    "env": {"osType": "ANDROID", "terminalType": "APP"},
    "order": {
        "orderAmount": {"currency": "CNY", "value": "1314"},
        "orderDescription": "Cappuccino #grande (Mika's coffee shop)",
        "referenceOrderId": "ORDER_0517884936248XXXX",
    },
    "paymentAmount": {"currency": "CNY", "value": "1314"},
    "paymentMethod": {"paymentMethodType": "ALIPAY_CN"},
    "paymentExpiryTime": "2024-01-20T08:51:06+08:00",
    "paymentNotifyUrl": "https://www.gaga.com/notify",
    "paymentRedirectUrl": "imeituan://",
    "paymentRequestId": "iJ9lsVgTx8pX7qJpvW6rfqEE2Kdv9M3lgL8e1999ydfz52uMSqwvT3qXYw8IFBYt",
    "productCode": "CASHIER_PAYMENT",
    "settlementStrategy": {"settlementCurrency": "USD"},
}


# alipaycn-cashier-payment.txt, Step 1: Create a payment > "Request body".
# As written, env sits inside order and order.extendInfo is a JSON-encoded string.
ALIPAYCN_CASHIER_PAY: Sample = {
    "order": {
        "env": {"terminalType": "WEB"},
        "extendInfo": '{"chinaExtraTransInfo":{"totalQuantity":"2","businessType":"4","goodsInfo":"Macbook 12 inch M3 8G 256G SSD^1|Apple iPad Pro 11 inch^1"}}',
        "orderAmount": {"currency": "USD", "value": "100"},
        "orderDescription": "Macbook 12 inch M3 8G 256G SSD^1|Apple iPad Pro 11 inch^1",
        "referenceOrderId": "alipayCNOrder12345",
    },
    "paymentAmount": {"currency": "USD", "value": "100"},
    "paymentMethod": {"paymentMethodType": "ALIPAY_CN"},
    "paymentNotifyUrl": "http://af927046.ngrok.io",
    "paymentRedirectUrl": "https://www.taobao.com?param1=sl",
    "paymentRequestId": "ams_alipaycn_cashier_pay_sandbox_request_0001",
    "productCode": "CASHIER_PAYMENT",
    "settlementStrategy": {"settlementCurrency": "USD"},
}


# entry-code-payment.txt, Step 1: Construct the request > "HTTP body of a request for an
# Entry Code Payment". The text lost its closing braces (and the outer ones); nesting is
# rebuilt from the indentation: merchant and env inside order, store inside merchant. Values,
# including the empty paymentNotifyUrl/referenceMerchantId, "storeMcc" and the doubled spaces
# in userAgent, are as written.
ENTRY_CODE_PAY: Sample = {
    "productCode": "IN_STORE_PAYMENT",
    "paymentNotifyUrl": "",
    "paymentRequestId": "102775745075669",
    "paymentFactor": {"inStorePaymentScenario": "EntryCode"},
    "order": {
        "orderDescription": "Mi Band 3 Wrist Strap Metal Screwless Stainless Steel For Xiaomi Mi Band 3 ",
        "orderAmount": {"currency": "USD", "value": "10"},
        "merchant": {
            "referenceMerchantId": "",
            "merchantName": "cup Hu",
            "merchantMCC": "1234",
            "store": {"referenceStoreId": "S0000000001", "storeName": "UGG-2", "storeMcc": "1405"},
        },
        "env": {
            "userAgent": "Mozilla/5.0 (Linux; Android 9; LYA-AL00 Build/HUAWEILYA-AL00L; wv)  AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0  Chrome/70.0.3538.110  Mobile Safari/537.36 NebulaSDK/1.8.100112 Nebula  AlipayDefined(nt:WIFI,ws:360|0|3.0) AliApp(APHK/  AlipayClientHK/ Language/zh-HK useStatusBar/true isConcaveScreen/true AlipayClient/ Alipay Language/zh-Hans"
        },
    },
    "paymentAmount": {"currency": "USD", "value": "10"},
    "paymentMethod": {"paymentMethodType": "CONNECT_WALLET"},
}


# ---------------------------------------------------------------- responses


# apm-payments.txt, Step 2 > Receive a payment response > "Web sample code".
APM_HK_WEB_PAY_RESPONSE: Sample = {
    "normalUrl": "https://open-sea.alipayplus.com/api/open/v1/ac/cashier/self/codevalue/checkout.htm?codeValue=https%3A%2F%2Fglobal.alipay.com%2F281002040090bbmmzTC4BzSex92tUglv31de",
    "orderCodeForm": {
        "codeDetails": [
            {
                "codeValue": "https://global.alipay.com/281002040090bbmmzTC4BzSex92tUglv31de",
                "displayType": "TEXT",
            },
            {
                "codeValue": "https://global.alipay.com/merchant/order/showQrImage.htm?code=https%3A%2F%2Fglobal.alipay.com%2F281002040090bbmmzTC4BzSex92tUglv31de&picSize=L",
                "displayType": "BIGIMAGE",
            },
            {
                "codeValue": "https://global.alipay.com/merchant/order/showQrImage.htm?code=https%3A%2F%2Fglobal.alipay.com%2F281002040090bbmmzTC4BzSex92tUglv31de&picSize=M",
                "displayType": "MIDDLEIMAGE",
            },
            {
                "codeValue": "https://global.alipay.com/merchant/order/showQrImage.htm?code=https%3A%2F%2Fglobal.alipay.com%2F281002040090bbmmzTC4BzSex92tUglv31de&picSize=S",
                "displayType": "SMALLIMAGE",
            },
        ],
        "expireTime": "2024-01-15T01:34:45-08:00",
    },
    "paymentActionForm": '{"method":"GET","paymentActionFormType":"RedirectActionForm","redirectUrl":"https://open-sea.alipayplus.com/api/open/v1/ac/cashier/self/codevalue/checkout.htm?codeValue=https%3A%2F%2Fglobal.alipay.com%2F281002040090bbmmzTC4BzSex92tUglv31de"}',
    "paymentAmount": {"currency": "HKD", "value": "100"},
    "paymentCreateTime": "2024-01-15T01:20:46-08:00",
    "paymentId": "20240115194010800100188640298283440",
    "paymentRequestId": "PAY_20240115172044263",
    "redirectActionForm": {
        "method": "GET",
        "redirectUrl": "https://open-sea.alipayplus.com/api/open/v1/ac/cashier/self/codevalue/checkout.htm?codeValue=https%3A%2F%2Fglobal.alipay.com%2F281002040090bbmmzTC4BzSex92tUglv31de",
    },
    "result": {
        "resultCode": "PAYMENT_IN_PROCESS",
        "resultMessage": "payment in process",
        "resultStatus": "U",
    },
}


# apm-payments.txt, Step 2 > Receive a payment response > "WAP sample code".
APM_HK_WAP_PAY_RESPONSE: Sample = {
    "appIdentifier": "hk.alipay.wallet",
    "applinkUrl": "https://render.alipay.hk/p/w/hk-ulink/?path=/mobile&scheme=alipayhk%3A%2F%2Fplatformapi%2FstartApp%3FappId%3D85200168%26fromSite%3Dapp%26CashierAction%3DtradePay%26orderCode%3Dhttps%3A%2F%2Fglobal.alipay.com%2F281002040092tDM89hJ66zUrMS9hbIRv3kWR%26paymentRedirectUrl%3Dhttps%3A%2F%2Fkademo.intlalipay.cn%2Fmelitigo%2FTest_114.html%26terminalType%3DWAP",
    "normalUrl": "https://render.alipay.hk/p/h5/hk-cashier-merchant/www/index.html/#/otp?scene=uefa&redirectUrl=https%3A%2F%2Frender.alipay.hk%2Fp%2Fh5%2Fhk-cashier-merchant%2Fwww%2Findex.html%23%2Fpreorder%3ForderCode%3Dhttps%3A%2F%2Fglobal.alipay.com%2F281002040092tDM89hJ66zUrMS9hbIRv3kWR",
    "orderCodeForm": {
        "codeDetails": [
            {
                "codeValue": "https://global.alipay.com/281002040092tDM89hJ66zUrMS9hbIRv3kWR",
                "displayType": "TEXT",
            },
            {
                "codeValue": "https://global.alipay.com/merchant/order/showQrImage.htm?code=https%3A%2F%2Fglobal.alipay.com%2F281002040092tDM89hJ66zUrMS9hbIRv3kWR&picSize=L",
                "displayType": "BIGIMAGE",
            },
            {
                "codeValue": "https://global.alipay.com/merchant/order/showQrImage.htm?code=https%3A%2F%2Fglobal.alipay.com%2F281002040092tDM89hJ66zUrMS9hbIRv3kWR&picSize=M",
                "displayType": "MIDDLEIMAGE",
            },
            {
                "codeValue": "https://global.alipay.com/merchant/order/showQrImage.htm?code=https%3A%2F%2Fglobal.alipay.com%2F281002040092tDM89hJ66zUrMS9hbIRv3kWR&picSize=S",
                "displayType": "SMALLIMAGE",
            },
        ],
        "expireTime": "2024-02-28T19:53:58-08:00",
    },
    "paymentActionForm": '{"method":"GET","paymentActionFormType":"RedirectActionForm","redirectUrl":"https://render.alipay.com/p/w/ac-fe-adaptor/?ACCodeValue=https%3A%2F%2Fglobal.alipay.com%2F281002040092tDM89hJ66zUrMS9hbIRv3kWR&paymentMethodType=ALIPAY_HK&ACPaymentRedirectUrl=https%3A%2F%2Fkademo.intlalipay.cn%2Fmelitigo%2FTest_114.html&ACAppType=WAP"}',
    "paymentAmount": {"currency": "HKD", "value": "100"},
    "paymentCreateTime": "2024-02-28T19:40:00-08:00",
    "paymentId": "20240229194010800100188940208068249",
    "paymentRequestId": "PAY_20240229113956783",
    "redirectActionForm": {
        "method": "GET",
        "redirectUrl": "https://render.alipay.com/p/w/ac-fe-adaptor/?ACCodeValue=https%3A%2F%2Fglobal.alipay.com%2F281002040092tDM89hJ66zUrMS9hbIRv3kWR&paymentMethodType=ALIPAY_HK&ACPaymentRedirectUrl=https%3A%2F%2Fkademo.intlalipay.cn%2Fmelitigo%2FTest_114.html&ACAppType=WAP",
    },
    "result": {
        "resultCode": "PAYMENT_IN_PROCESS",
        "resultMessage": "payment in process",
        "resultStatus": "U",
    },
}


# apm-payments.txt, Step 2 > Receive a payment response > "App sample code"
# (expireTime is masked in the document).
APM_HK_APP_PAY_RESPONSE: Sample = {
    "appIdentifier": "hk.alipay.wallet",
    "applinkUrl": "https://render.alipay.hk/p/w/hk-ulink/?path=/mobile&scheme=alipayhk%3A%2F%2Fplatformapi%2FstartApp%3FappId%3D85200168%26fromSite%3Dapp%26CashierAction%3DtradePay%26orderCode%3Dhttps%3A%2F%2Fglobal.alipay.com%2F281002040090cQa97QFkz1kHL8zTDW47PyqB%26paymentRedirectUrl%3Dhttps%3A%2F%2Fkademo.intlalipay.cn%2Forder%2Fdetail%3Fid%3DALIPAY_HK_1709199158552F696Z%26wallet%3DALIPAY_HK%26terminalType%3DWAP",
    "normalUrl": "https://render.alipay.hk/p/h5/hk-cashier-merchant/www/index.html/#/otp?scene=uefa&redirectUrl=https%3A%2F%2Frender.alipay.hk%2Fp%2Fh5%2Fhk-cashier-merchant%2Fwww%2Findex.html%23%2Fpreorder%3ForderCode%3Dhttps%3A%2F%2Fglobal.alipay.com%2F281002040090cQa97QFkz1kHL8zTDW47PyqB",
    "orderCodeForm": {
        "codeDetails": [
            {
                "codeValue": "https://global.alipay.com/281002040090cQa97QFkz1kHL8zTDW47PyqB",
                "displayType": "TEXT",
            },
            {
                "codeValue": "https://global.alipay.com/merchant/order/showQrImage.htm?code=https%3A%2F%2Fglobal.alipay.com%2F281002040090cQa97QFkz1kHL8zTDW47PyqB&picSize=L",
                "displayType": "BIGIMAGE",
            },
            {
                "codeValue": "https://global.alipay.com/merchant/order/showQrImage.htm?code=https%3A%2F%2Fglobal.alipay.com%2F281002040090cQa97QFkz1kHL8zTDW47PyqB&picSize=M",
                "displayType": "MIDDLEIMAGE",
            },
            {
                "codeValue": "https://global.alipay.com/merchant/order/showQrImage.htm?code=https%3A%2F%2Fglobal.alipay.com%2F281002040090cQa97QFkz1kHL8zTDW47PyqB&picSize=S",
                "displayType": "SMALLIMAGE",
            },
        ],
        "expireTime": "*************************",
    },
    "paymentActionForm": '{"method":"GET","paymentActionFormType":"RedirectActionForm","redirectUrl":"https://render.alipay.com/p/w/ac-fe-adaptor/?ACCodeValue=https%3A%2F%2Fglobal.alipay.com%2F281002040090cQa97QFkz1kHL8zTDW47PyqB&paymentMethodType=ALIPAY_HK&ACPaymentRedirectUrl=https%3A%2F%2Fkademo.intlalipay.cn%2Forder%2Fdetail%3Fid%3DALIPAY_HK_1709199158552F696Z%26wallet%3DALIPAY_HK&ACAppType=WAP"}',
    "paymentAmount": {"currency": "HKD", "value": "100"},
    "paymentCreateTime": "2024-02-29T01:32:41-08:00",
    "paymentId": "20240229194010800100188010209093907",
    "paymentRequestId": "ALIPAY_HK_1709199158552F696Z",
    "redirectActionForm": {
        "method": "GET",
        "redirectUrl": "https://render.alipay.com/p/w/ac-fe-adaptor/?ACCodeValue=https%3A%2F%2Fglobal.alipay.com%2F281002040090cQa97QFkz1kHL8zTDW47PyqB&paymentMethodType=ALIPAY_HK&ACPaymentRedirectUrl=https%3A%2F%2Fkademo.intlalipay.cn%2Forder%2Fdetail%3Fid%3DALIPAY_HK_1709199158552F696Z%26wallet%3DALIPAY_HK&ACAppType=WAP",
    },
    "result": {
        "resultCode": "PAYMENT_IN_PROCESS",
        "resultMessage": "payment in process",
        "resultStatus": "U",
    },
}


# alipaycn-cashier-payment.txt, Step 1: Create a payment > "Response".
ALIPAYCN_CASHIER_PAY_RESPONSE: Sample = {
    "paymentAmount": {"currency": "USD", "value": "100"},
    "paymentCreateTime": "2020-06-01T17:25:10+08:00",
    "paymentId": "109251015910035106387585550135231999cwdeaACbLn202005310001917517",
    "paymentRequestId": "ams_alipaycn_cashier_pay_sandbox_request_0001",
    "redirectActionForm": {
        "method": "GET",
        "parameters": '{"paymentExpireTime":1591046710000,"amountValue":"100","paymentId":"109251015910035106387585550135231999cwdeaACbLn202005310001917517","county":"US","callback":"https://www.taobao.com?param1=sl","paymentMethodType":"ALIPAY_CN","amountCurrency":"USD"}',
        "redirectUrl": "https://iopensandbox.alipay.com/alipaycn/pc/cashier",
    },
    "result": {
        "resultCode": "PAYMENT_IN_PROCESS",
        "resultMessage": "payment in process",
        "resultStatus": "U",
    },
}


# alipaycn-cashier-payment.txt, Step 2 > "Use the terminal type of WEB (QR code)": the
# redirectActionForm fragment of the pay response (wrapped in braces).
ALIPAYCN_WEB_REDIRECT: Sample = {
    "redirectActionForm": {
        "method": "GET",
        "parameters": '{"amountValue":"100","paymentId":"811564915898030092746385048724835982WOSPeVnUwU202005180001827069","county":"US","callback":"https://www.taobao.com?param1=sl","paymentMethodType":"ALIPAY_CN","amountCurrency":"USD"}',
        "redirectUrl": "https://iopensandbox.alipay.com/alipaycn/pc/cashier",
    }
}


# alipaycn-cashier-payment.txt, Step 2 > "Use the terminal type of WAP (H5)": the
# redirectActionForm fragment of the pay response (wrapped in braces).
ALIPAYCN_WAP_REDIRECT: Sample = {
    "redirectActionForm": {
        "method": "GET",
        "parameters": '{"amountValue":"100","paymentId":"811564915898030092746385048724835982WOSPeVnUwU202005180001827069","county":"US","callback":"https://www.taobao.com?param1=sl","paymentMethodType":"ALIPAY_CN","amountCurrency":"USD"}',
        "redirectUrl": "https://iopensandbox.alipay.com/alipaycn/h5/cashier",
    }
}


# apm-payments.txt, Step 3 > Inquire about the payment result > "Obtain the response code".
# The request side is only a Java snippet (setPaymentRequestId), not a JSON body.
# "transactions": null is as written; spec §1.7 says the gateway omits nulls.
APM_INQUIRY_RESPONSE: Sample = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"},
    "paymentStatus": "SUCCESS",
    "paymentRequestId": "paymentRequestId01",
    "paymentId": "2019060811401080010018882020035XXXX",
    "paymentAmount": {"value": "100", "currency": "HKD"},
    "paymentCreateTime": "2019-06-01T12:01:01+08:30",
    "paymentTime": "2019-06-01T12:01:01+08:30",
    "transactions": None,
}


# ------------------------------------------------------------ notifications
# Kept for the notifier's tests; the gateway does not send notifications yet.


# apm-payments.txt, Step 3 > Receive the asynchronous notification (request sample).
APM_PAYMENT_NOTIFICATION: Sample = {
    "notifyType": "PAYMENT_RESULT",
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "paymentRequestId": "paymentRequestId01",
    "paymentId": "2020010123456789XXXX",
    "paymentAmount": {"value": "100", "currency": "HKD"},
    "paymentCreateTime": "2020-01-01T12:01:00+08:30",
    "paymentTime": "2020-01-01T12:01:01+08:30",
}


# alipaycn-cashier-payment.txt, Step 3: Subscribe the notification message ("notify BODY").
ALIPAYCN_NOTIFICATION_USD: Sample = {
    "grossSettlementAmount": {"currency": "USD", "value": "100"},
    "notifyType": "PAYMENT_RESULT",
    "notifyUrl": "http://af927046.ngrok.io",
    "paymentAmount": {"currency": "USD", "value": "100"},
    "paymentCreateTime": "2020-05-18T20:20:27+08:00",
    "paymentId": "812202715898044274806386466931604175JNxpyudMsn202005180001827071",
    "paymentRequestId": "ams_alipaycn_cashier_pay_sandbox_request_003",
    "paymentTime": "2020-05-18T20:20:27+08:00",
    "result": {"resultCode": "SUCCESS", "resultMessage": "success.", "resultStatus": "S"},
}


# alipaycn-cashier-payment.txt, Step 3, Note: payment in CNY, settled in USD ("notify BODY").
ALIPAYCN_NOTIFICATION_CNY: Sample = {
    "grossSettlementAmount": {"currency": "USD", "value": "14"},
    "notifyType": "PAYMENT_RESULT",
    "notifyUrl": "http://af927046.ngrok.io",
    "paymentAmount": {"currency": "CNY", "value": "100"},
    "paymentCreateTime": "2020-05-18T20:23:12+08:00",
    "paymentId": "812231215898045923636386631814585204hTuhEdqMKx202005180001827072",
    "paymentRequestId": "ams_alipaycn_cashier_pay_sandbox_request_004",
    "paymentTime": "2020-05-18T20:23:12+08:00",
    "result": {"resultCode": "SUCCESS", "resultMessage": "success.", "resultStatus": "S"},
}


# entry-code-payment.txt, "Notification body (for a successful payment that succeeds)".
# Braces rebuilt as for ENTRY_CODE_PAY; the // comments of the text are left out.
ENTRY_CODE_NOTIFICATION: Sample = {
    "notifyType": "PAYMENT_RESULT",
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "paymentRequestId": "pay_test_1106_0002",
    "paymentId": "20200101234567890132",
    "paymentAmount": {"value": "8000", "currency": "EUR"},
    "paymentCreateTime": "2020-01-01T12:01:00+08:30",
    "paymentTime": "2020-01-01T12:01:01+08:30",
}

# ------------------------------------------------------------------ indexes

#: Every JSON pay request body in the seeds, by a readable name.
PAY_REQUESTS: dict[str, Sample] = {
    "apm-payments WEB ALIPAY_HK": APM_HK_WEB_PAY,
    "apm-payments WAP ALIPAY_HK": APM_HK_WAP_PAY,
    "apm-payments APP ALIPAY_HK": APM_HK_APP_PAY,
    "apm-payments WEB ALIPAY_CN (paymentExpiryTime)": APM_CN_WEB_PAY,
    "apm-payments WAP ALIPAY_CN (paymentExpiryTime)": APM_CN_WAP_PAY,
    "apm-payments APP ALIPAY_CN (paymentExpiryTime)": APM_CN_APP_PAY,
    "alipaycn-cashier-payment WEB ALIPAY_CN": ALIPAYCN_CASHIER_PAY,
    "entry-code-payment IN_STORE_PAYMENT EntryCode": ENTRY_CODE_PAY,
}

#: Pay request name -> the sample responses showing the shape of the gateway's answer to it.
#: The apm-payments ALIPAY_CN requests have no response sample of their own; the AlipayCN
#: document's response (and its WEB/WAP redirectActionForm fragments) stand for them.
PAY_RESPONSES: dict[str, tuple[Sample, ...]] = {
    "apm-payments WEB ALIPAY_HK": (APM_HK_WEB_PAY_RESPONSE,),
    "apm-payments WAP ALIPAY_HK": (APM_HK_WAP_PAY_RESPONSE,),
    "apm-payments APP ALIPAY_HK": (APM_HK_APP_PAY_RESPONSE,),
    "apm-payments WEB ALIPAY_CN (paymentExpiryTime)": (
        ALIPAYCN_CASHIER_PAY_RESPONSE,
        ALIPAYCN_WEB_REDIRECT,
    ),
    "apm-payments WAP ALIPAY_CN (paymentExpiryTime)": (
        ALIPAYCN_CASHIER_PAY_RESPONSE,
        ALIPAYCN_WAP_REDIRECT,
    ),
    "apm-payments APP ALIPAY_CN (paymentExpiryTime)": (ALIPAYCN_CASHIER_PAY_RESPONSE,),
    "alipaycn-cashier-payment WEB ALIPAY_CN": (
        ALIPAYCN_CASHIER_PAY_RESPONSE,
        ALIPAYCN_WEB_REDIRECT,
    ),
}
