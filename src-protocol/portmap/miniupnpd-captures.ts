// What a real router said: miniupnpd 2.3.1 (Debian's miniupnpd-nftables) in the lab, answering
// a host at 198.18.1.2 behind it (router LAN 198.18.1.1, WAN 198.18.0.2), captured once in a lab
// router set up as e2e/lab/port-mapping-daemon.ts does. The codecs' tests read them as the
// examples RFC 6886 and 6887 do not give.

/** PCP MAP for UDP 40001, lifetime 3600, nonce e5c0…94a4, from 198.18.1.2. */
export const PCP_MAP_REQUEST =
  '0201000000000e1000000000000000000000ffffc6120102e5c02786d4f7b282d83c94a4110000009c419c4100000000000000000000ffff00000000';
/** Its answer: success, lifetime 3600, epoch 3, external 198.18.0.2:40001. */
export const PCP_MAP_ANSWER =
  '0281000000000e1000000003000000000000000000000000e5c02786d4f7b282d83c94a4110000009c419c4100000000000000000000ffffc6120002';
/** The same request with lifetime 0 (delete), and its answer. */
export const PCP_DELETE_REQUEST =
  '020100000000000000000000000000000000ffffc6120102e5c02786d4f7b282d83c94a4110000009c419c4100000000000000000000ffff00000000';
export const PCP_DELETE_ANSWER =
  '028100000000000000000003000000000000000000000000e5c02786d4f7b282d83c94a4110000009c419c4100000000000000000000ffffc6120002';
/** The answer to a request with version 3: UNSUPP_VERSION (1). */
export const PCP_UNSUPPORTED_VERSION_ANSWER =
  '028100010000000000000003000000000000000000000000e5c02786d4f7b282d83c94a4110000000000000000000000000000000000ffff00000000';
/** The answer to an ANNOUNCE request (opcode 0): header only. */
export const PCP_ANNOUNCE_ANSWER = '028000000000000000000003000000000000000000000000';

/** NAT-PMP: external address 198.18.0.2, epoch 3. */
export const NAT_PMP_ADDRESS_ANSWER = '0080000000000003c6120002';
/** NAT-PMP: UDP 40004 mapped to external 40004 for 3600 s. */
export const NAT_PMP_MAP_REQUEST = '000100009c449c4400000e10';
export const NAT_PMP_MAP_ANSWER = '00810000000000039c449c4400000e10';
export const NAT_PMP_DELETE_ANSWER = '00810000000000039c44000000000000';
/** From a miniupnpd whose WAN address it deems private: result 3, network failure. */
export const NAT_PMP_NO_ADDRESS_ANSWER = '008000030000000100000000';

/** Its answer to a unicast M-SEARCH for InternetGatewayDevice:1. */
export const SSDP_ANSWER =
  'HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nUSN: uuid:6ee4f1c2-6a1c-4a7e-9b0a-000000000001::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nEXT:\r\nSERVER: Debian/6.18.44-fc-v1294 UPnP/1.1 MiniUPnPd/2.3.1\r\nLOCATION: http://198.18.1.1:39853/rootDesc.xml\r\nOPT: "http://schemas.upnp.org/upnp/1/0/"; ns=01\r\n01-NLS: 1796635237\r\nBOOTID.UPNP.ORG: 1796635237\r\nCONFIGID.UPNP.ORG: 1337\r\n\r\n';

/** The device description at that LOCATION. */
export const ROOT_DESCRIPTION =
  '<?xml version="1.0"?>\r\n<root xmlns="urn:schemas-upnp-org:device-1-0" configId="1337"><specVersion><major>1</major><minor>1</minor></specVersion><device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType><friendlyName>Debian router</friendlyName><manufacturer>Debian</manufacturer><manufacturerURL>http://www.debian.org/</manufacturerURL><modelDescription>Debian router</modelDescription><modelName>Debian router</modelName><modelNumber>1</modelNumber><modelURL>http://www.debian.org/</modelURL><serialNumber>00000000</serialNumber><UDN>uuid:6ee4f1c2-6a1c-4a7e-9b0a-000000000001</UDN><serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId><SCPDURL>/L3F.xml</SCPDURL><controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL></service><service><serviceType>urn:schemas-upnp-org:service:DeviceProtection:1</serviceType><serviceId>urn:upnp-org:serviceId:DeviceProtection1</serviceId><SCPDURL>/DP.xml</SCPDURL><controlURL>/ctl/DP</controlURL><eventSubURL>/evt/DP</eventSubURL></service></serviceList><deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType><friendlyName>WANDevice</friendlyName><manufacturer>MiniUPnP</manufacturer><manufacturerURL>http://miniupnp.free.fr/</manufacturerURL><modelDescription>WAN Device</modelDescription><modelName>WAN Device</modelName><modelNumber>20221221</modelNumber><modelURL>http://miniupnp.free.fr/</modelURL><serialNumber>00000000</serialNumber><UDN>uuid:6ee4f1c2-6a1c-4a7e-9b0a-000000000002</UDN><UPC>000000000000</UPC><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId><SCPDURL>/WANCfg.xml</SCPDURL><controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL></service></serviceList><deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType><friendlyName>WANConnectionDevice</friendlyName><manufacturer>MiniUPnP</manufacturer><manufacturerURL>http://miniupnp.free.fr/</manufacturerURL><modelDescription>MiniUPnP daemon</modelDescription><modelName>MiniUPnPd</modelName><modelNumber>20221221</modelNumber><modelURL>http://miniupnp.free.fr/</modelURL><serialNumber>00000000</serialNumber><UDN>uuid:6ee4f1c2-6a1c-4a7e-9b0a-000000000003</UDN><UPC>000000000000</UPC><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><SCPDURL>/WANIPCn.xml</SCPDURL><controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL></service><service><serviceType>urn:schemas-upnp-org:service:WANIPv6FirewallControl:1</serviceType><serviceId>urn:upnp-org:serviceId:WANIPv6Firewall1</serviceId><SCPDURL>/WANIP6FC.xml</SCPDURL><controlURL>/ctl/IP6FCtl</controlURL><eventSubURL>/evt/IP6FCtl</eventSubURL></service></serviceList></device></deviceList></device></deviceList><presentationURL>http://198.18.1.1/</presentationURL></device></root>';

/** SOAP answers of its WANIPConnection:2 control URL. */
export const SOAP_GET_EXTERNAL_IP_ANSWER =
  '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:GetExternalIPAddressResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2"><NewExternalIPAddress>198.18.0.2</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>\r\n';
export const SOAP_ADD_PORT_MAPPING_ANSWER =
  '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:AddPortMappingResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2"/></s:Body></s:Envelope>\r\n';
export const SOAP_ADD_ANY_PORT_MAPPING_ANSWER =
  '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:AddAnyPortMappingResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2"><NewReservedPort>40002</NewReservedPort></u:AddAnyPortMappingResponse></s:Body></s:Envelope>\r\n';
export const SOAP_DELETE_PORT_MAPPING_ANSWER =
  '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:DeletePortMappingResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2"></u:DeletePortMappingResponse></s:Body></s:Envelope>\r\n';
/** AddPortMapping of a port another host holds: HTTP 500. */
export const SOAP_CONFLICT_ANSWER =
  '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>';
