#!/usr/bin/env python3
# Writes the four USB fixture trees of tests/hw/fixtures/usb-* (a laptop with
# card readers, then the same laptop after replugs): python3 tests/hw/mkusbtrees.py tests/hw/fixtures
import os, sys
root = sys.argv[1]
def w(path, s):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, 'w').write(s + "\n")
def pci(tree, bdf, v, d, c):
    p = f"{root}/{tree}/sys/bus/pci/devices/{bdf}"
    w(p+"/vendor", "0x"+v); w(p+"/device", "0x"+d); w(p+"/class", "0x"+c)
def usb(tree, name, v, p, bus, dev, ifcls, product, serial=None, ifsub="00", ifproto="00"):
    d = f"{root}/{tree}/sys/bus/usb/devices/{name}"
    w(d+"/idVendor", v); w(d+"/idProduct", p)
    for a in ("bDeviceClass", "bDeviceSubClass", "bDeviceProtocol"): w(d+"/"+a, "00")
    w(d+"/bNumConfigurations", "1"); w(d+"/busnum", str(bus)); w(d+"/devnum", str(dev))
    w(d+"/product", product)
    if serial is not None: w(d+"/serial", serial)
    i = f"{d}/{name}:1.0"
    w(i+"/bInterfaceClass", ifcls); w(i+"/bInterfaceSubClass", ifsub)
    w(i+"/bInterfaceProtocol", ifproto); w(i+"/bInterfaceNumber", "00")
OK = ("076b", "3031", "0b", "OMNIKEY 3x21 Smart Card Reader")
AL = ("058f", "9540", "0b", "EMV Smartcard Reader")
FP = ("06cb", "00bd", "ff", "Prometheus MIS Touch Fingerprint Reader")
ET = ("0bda", "8153", "ff", "USB 10/100/1000 LAN")
def tree(t, ok, al1, al2, fp=(1, "1-5", 2), okserial="OKCM0070813"):
    pci(t, "0000:00:14.0", "8086", "a0ed", "0c0330")
    if ok: usb(t, ok[1], *OK[:2], ok[0], ok[2], OK[2], OK[3], okserial)
    if al1: usb(t, al1[1], *AL[:2], al1[0], al1[2], AL[2], AL[3])
    if al2: usb(t, al2[1], *AL[:2], al2[0], al2[2], AL[2], AL[3])
    usb(t, fp[1], *FP[:2], fp[0], fp[2], FP[2], FP[3], "a1b2c3d4e5f6")
    usb(t, "2-1", *ET[:2], 2, 2, ET[2], ET[3], "000001")
# bus, port path, devnum
tree("usb-readers", (1, "1-1", 3), (1, "1-3", 4), (1, "1-4", 5))
# the serial reader to another bus; a serial-less one re-plugged in its port
tree("usb-replug", (3, "3-2", 2), (1, "1-3", 9), (1, "1-4", 5))
# the serial reader on another port; a serial-less one on another port
tree("usb-moved", (1, "1-2", 7), (1, "1-6", 8), (1, "1-4", 5))
# the serial reader reports another serial
tree("usb-serial-changed", (1, "1-1", 3), (1, "1-3", 4), (1, "1-4", 5),
    okserial="OKCM0070999")
