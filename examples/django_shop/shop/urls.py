from django.urls import include, path

urlpatterns = [
    path("orders/", include("orders.urls")),
    path("hooks/", include("relationclient.contrib.django.urls")),  # /hooks/postmark
]
