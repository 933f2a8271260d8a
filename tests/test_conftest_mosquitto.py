import paho.mqtt.client as mqtt

from tests.conftest import Mosquitto


def test_mosquitto_fixture_accepts_a_client(mosquitto: Mosquitto) -> None:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="probe")
    assert c.connect("127.0.0.1", mosquitto.port) == mqtt.MQTT_ERR_SUCCESS
    c.disconnect()
